package conf

import (
	"context"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"
)

// Distribution derives upstream's running_distribution from the text of
// an os-release file, which is shell syntax: "ubuntu" if ID is ubuntu,
// else the whole ID_LIKE value if set, else ID. Errors give "".
func Distribution(ctx context.Context, osRelease string) string {
	f, err := syntax.NewParser().Parse(strings.NewReader(osRelease), "os-release")
	if err != nil {
		return ""
	}
	r, err := interp.New(interp.Env(expand.ListEnviron()), interp.StdIO(nil, nil, nil),
		interp.ExecHandlers(func(interp.ExecHandlerFunc) interp.ExecHandlerFunc {
			return func(context.Context, []string) error { return interp.ExitStatus(127) }
		}))
	if err != nil {
		return ""
	}
	_ = r.Run(ctx, f)
	id := r.Vars["ID"].String()
	like, ok := r.Vars["ID_LIKE"]
	switch {
	case id == "ubuntu":
		return id
	case ok && len(variableIndices(like)) > 0:
		return like.String()
	}
	return id
}
