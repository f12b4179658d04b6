package main

import (
	"context"
	"io"
	"os/exec"
	"strings"

	"github.com/dkms-go/dkms/internal/compress"
	"github.com/dkms-go/dkms/internal/run"
)

// compressor says how built modules are compressed. For xz, like the
// reference: `xz $compress_xz_opts` (framework.conf, default
// --check=crc32 --lzma2=dict=1MiB), streamed through the runner, its
// messages on our stderr; its files are the smallest. Without xz(1) the
// native encoder is used, where the reference would keep the module
// uncompressed. gzip and zstd are native: their files match the tools'.
func (a *app) compressor() compress.Compressor {
	if _, err := exec.LookPath("xz"); err != nil {
		return compress.Compressor{}
	}
	args := append(strings.Fields(a.fw["compress_xz_opts"]), "-c")
	xz := func(ctx context.Context, dst io.Writer, src io.Reader) error {
		return a.runner.Run(ctx, run.Cmd{Path: "xz", Args: args, Stdin: src, Stdout: dst, Stderr: a.rep.err})
	}
	return compress.Compressor{Tools: map[compress.Method]compress.Tool{compress.XZ: xz}}
}
