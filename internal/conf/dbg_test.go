package conf
import ("testing";"os";"context")
func TestDbg(t *testing.T){
	v,err:=Eval(context.Background(),[]string{"/tmp/t1.conf"},Context{Kernel:"6.1",Stderr:os.Stderr,Stdout:os.Stderr})
	t.Logf("%s %v",v.JSON(),err)
}
