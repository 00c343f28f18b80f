package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// TorchScript is a PyTorch script serving Descent's runner over pipes (the
// throughput script's --serve, time_to.py's --serve): after its warm-up it
// prints one JSON line, {"ready": true, "allocator": …, …}, then answers every
// line it reads with one JSON line, until its input closes.
type TorchScript struct {
	Config TorchConfig
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Scanner
	stderr bytes.Buffer
	exited bool
}

// StartTorchScript runs Python on script with args in configuration tc
// (tc.Env), decodes its ready line into ready and checks that the process
// runs on the malloc tc asks for.
func StartTorchScript(tc TorchConfig, script string, args []string, ready any) (*TorchScript, error) {
	py, err := Python()
	if err != nil {
		return nil, err
	}
	p := &TorchScript{Config: tc, cmd: exec.Command(py, append([]string{script}, args...)...)}
	p.cmd.Env = tc.Env()
	p.cmd.Stderr = &p.stderr
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", script, err)
	}
	p.stdout = bufio.NewScanner(out)
	var malloc struct {
		Allocator string `json:"allocator"`
	}
	err = p.readLine(&malloc, ready)
	if err == nil {
		err = tc.CheckAllocator(malloc.Allocator)
	}
	if err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// Ask sends request as a line and decodes the script's answer into answer.
func (p *TorchScript) Ask(request string, answer any) error {
	if _, err := io.WriteString(p.stdin, request+"\n"); err != nil {
		return p.stopped()
	}
	return p.readLine(answer)
}

// readLine decodes the script's next line into each of vs.
func (p *TorchScript) readLine(vs ...any) error {
	if !p.stdout.Scan() {
		return p.stopped()
	}
	for _, v := range vs {
		if err := json.Unmarshal(p.stdout.Bytes(), v); err != nil {
			return fmt.Errorf("pytorch printed %q: %w", p.stdout.Text(), err)
		}
	}
	return nil
}

// stopped waits for a script that stopped answering and describes how it
// ended: its exit status ("signal: killed" is most often the kernel's OOM
// killer) and its error output.
func (p *TorchScript) stopped() error {
	p.Close() // so that stderr is complete
	return fmt.Errorf("pytorch (%s) stopped (%v): %s", strings.Join(p.cmd.Args[1:], " "), p.cmd.ProcessState, strings.TrimSpace(p.stderr.String()))
}

// PeakMemory is the most memory the process has held (VmHWM); 0 where /proc
// does not tell.
func (p *TorchScript) PeakMemory() uint64 {
	return procKiB(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid), "VmHWM:") * 1024
}

// Close ends the script by closing its input and waits for it.
func (p *TorchScript) Close() {
	if p.exited {
		return
	}
	p.exited = true
	p.stdin.Close()
	p.cmd.Wait()
}
