package compress
import ("bytes";"testing";"time";"github.com/ulikunitz/xz";"github.com/ulikunitz/xz/lzma";"os")
func TestSpeed(t *testing.T){
 data,_:=os.ReadFile("/tmp/xzb/in.bin")
 for _,m:=range []lzma.MatchAlgorithm{lzma.HashTable4, lzma.BinaryTree}{
  st:=time.Now(); var buf bytes.Buffer
  cfg:=xz.WriterConfig{DictCap:1<<20,CheckSum:xz.CRC32,Matcher:m}
  w,_:=cfg.NewWriter(&buf); w.Write(data); w.Close()
  t.Log(m, len(data), buf.Len(), time.Since(st))
 }
}
