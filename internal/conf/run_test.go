package conf
import ("testing";"os";"strings";"mvdan.cc/sh/v3/syntax";"mvdan.cc/sh/v3/interp")
func TestRunSh(t *testing.T){
	b,_:=os.ReadFile("/tmp/p.sh")
	f,err:=syntax.NewParser().Parse(strings.NewReader(string(b)),"")
	if err!=nil{t.Fatal(err)}
	r,_:=interp.New(interp.StdIO(nil,os.Stdout,os.Stdout))
	t.Log(r.Run(t.Context(),f))
}
