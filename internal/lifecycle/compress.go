package lifecycle

import (
	"context"
	"io"
	"strings"

	"github.com/dkms-go/dkms/internal/compress"
	"github.com/dkms-go/dkms/internal/run"
)

// compressor says how built modules are compressed. For xz, like the
// reference: `xz $compress_xz_opts` (framework.conf, default
// --check=crc32 --lzma2=dict=1MiB), streamed through the runner, its
// messages on the action's stderr; its files are the smallest. Without
// xz(1) the native encoder is used, where the reference would keep the
// module uncompressed. gzip and zstd are native: their files match the
// tools'. env is the build's environment (what build_environment
// exported included), which xz(1) runs in, as the reference's does.
func (a *action) compressor(env []string) compress.Compressor {
	if !a.has("xz") {
		return compress.Compressor{}
	}
	args := append(strings.Fields(a.Framework["compress_xz_opts"]), "-c")
	stderr := a.Rep.Stderr()
	xz := func(ctx context.Context, dst io.Writer, src io.Reader) error {
		return a.Runner.Run(ctx, run.Cmd{Path: "xz", Args: args, Env: env, Stdin: src, Stdout: dst, Stderr: stderr})
	}
	return compress.Compressor{Tools: map[compress.Method]compress.Tool{compress.XZ: xz}}
}
