//go:build sweepdev

package main
import ("testing";"time";"github.com/descent-ml/descent/data")
func TestLoadTime(t *testing.T){ s:=time.Now(); d,_:=data.FindGoMNIST(); data.LoadMNIST(d); t.Log(time.Since(s)); 
cfg:=defaultConfig(); cfg.Subset=1000; s=time.Now(); _,err:=cfg.loadData(); t.Log(time.Since(s),err)}
