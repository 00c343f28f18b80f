package recipe

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/descent-ml/descent/augment"
	"github.com/descent-ml/descent/layers"
)

// optimizerSlots is how many buffers per parameter an optimizer keeps, at
// most (momentum, averages, AMSGrad's maximum).
var optimizerSlots = map[string]int{"sgd": 1, "adagrad": 1, "adadelta": 2, "rmsprop": 3, "adam": 3, "adamw": 3}

// checkMemory estimates from the shapes, before the model is built, the
// memory that training and evaluating it takes, and refuses a model and batch
// that exceed -max-memory (default: the memory available).
func (c *Config) checkMemory(d *Dataset, batch int) error {
	limit, err := parseBytes(c.MaxMemory)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("-max-memory %s", c.MaxMemory)
	if limit == 0 {
		if limit = availableMemory(); limit == 0 {
			return nil // unknown here: nothing to check against
		}
		what = "the memory available (MemAvailable); -max-memory sets another limit"
	}
	net, err := c.network(d.C, d.H, d.W, len(d.Classes))
	if err != nil {
		return err
	}
	// Evaluation runs batches of -eval-batch over the largest split, forward
	// only; training keeps the forward activations for the backward pass,
	// whose gradients are as large.
	evalBatch := min(c.EvalBatch, max(d.TrainSource().Len(), d.ValSource().Len(), d.TestSource().Len()))
	train, err := layers.Estimate(net, []int{batch, d.C, d.H, d.W})
	if err != nil {
		return fmt.Errorf("model %s (%s): %w", c.Model, c.sizeFlags(), err)
	}
	eval, err := layers.Estimate(net, []int{evalBatch, d.C, d.H, d.W})
	if err != nil {
		return fmt.Errorf("model %s (%s): %w", c.Model, c.sizeFlags(), err)
	}
	const float32Bytes = 4
	slots := optimizerSlots[c.Optimizer]
	params := layers.Footprint{Trainable: train.Trainable, State: train.State}.Bytes(slots, float32Bytes)
	activations := max(train.Bytes(slots, float32Bytes)-params, float64(eval.Activations)*float32Bytes)
	// Each loader holds augment.DefaultPrefetch+1 batches: the training
	// loader, and one evaluation loader per split.
	buffers := float64(augment.DefaultPrefetch+1) * float64(batch+3*evalBatch) * float64(d.C*d.H*d.W) * float32Bytes
	need := params + activations + buffers
	if need <= float64(limit) {
		return nil
	}
	return fmt.Errorf("model %s (%s) on %d×%d×%d images in batches of %d (-batch %s) and %d (-eval-batch %d) needs about %s (parameters with gradients and %s state %s, activations %s, batch buffers %s), more than %s of %s; make the model or the batches smaller",
		c.Model, c.sizeFlags(), d.C, d.H, d.W, batch, c.Batch, evalBatch, c.EvalBatch, humanBytes(need), c.Optimizer, humanBytes(params),
		humanBytes(activations), humanBytes(buffers), humanBytes(float64(limit)), what)
}

// sizeFlags lists the flags that set the configured model's size.
func (c *Config) sizeFlags() string {
	var s string
	switch c.Model {
	case "mlp":
		s = fmt.Sprintf("-depth %d -width %d", c.Depth, c.Width)
	case "lenet":
		s = fmt.Sprintf("-filters %s -hidden %d", c.Filters, c.Hidden)
	case "resnet":
		s = fmt.Sprintf("-width %d -blocks %d", c.Width, c.Blocks)
	case "mobilenet_v2":
		s = fmt.Sprintf("-width-mult %g", c.WidthMult)
	default: // the torchvision ResNets
		s = fmt.Sprintf("-width %d", c.Width)
	}
	if c.streamed() {
		s += fmt.Sprintf(" -image-size %d", c.ImageSize)
	}
	return s
}

func humanBytes(b float64) string {
	for _, u := range []string{"B", "KB", "MB", "GB", "TB", "PB"} {
		if b < 1000 {
			return strconv.FormatFloat(b, 'f', 1, 64) + " " + u
		}
		b /= 1000
	}
	return strconv.FormatFloat(b, 'g', 3, 64) + " EB"
}

// availableMemory reads MemAvailable from /proc/meminfo; 0 where unknown.
func availableMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
