package trainer_test

import (
	"context"
	"fmt"
	"log"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/augment"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/layers"
	"github.com/descent-ml/descent/solvers"
	"github.com/descent-ml/descent/trainer"
)

// Example trains a small convolutional network of its own on 4000 MNIST
// images for two epochs and measures it on 1000 test images.
func Example() {
	train, test, err := mnist(4000, 1000)
	check(err)
	net := layers.Sequential{
		layers.Conv2D{Name: "conv", In: 1, Out: 8, Kernel: [2]int{5, 5}}, layers.ReLU,
		layers.MaxPool2D{Kernel: [2]int{2, 2}}, layers.Flatten{},
		layers.Linear{Name: "fc", In: 8 * 12 * 12, Out: 10},
	}
	model, err := layers.Build(net, []int{64, 1, 28, 28}, tensor.Float32, 1)
	check(err)
	opt, err := solvers.New("adam", map[string]any{"lr": 0.01})
	check(err)
	check(opt.AddGroup(model.Trainable(), nil))
	t, err := trainer.New(trainer.Config{Model: model, Optimizer: opt, Train: train})
	check(err)
	check(t.Fit(context.Background(), 2))
	result, err := t.Evaluate(test)
	check(err)
	fmt.Printf("test accuracy above 90%%: %v\n", result.Accuracy > 0.9) // 94.7%
	// Output: test accuracy above 90%: true
}

// mnist loads the first n training and m test images of MNIST as loaders
// of 64 images, the training one shuffled.
func mnist(n, m int) (train, test trainer.Loader, err error) {
	dir, err := data.FindGoMNIST()
	if err != nil {
		return nil, nil, err
	}
	trainSet, testSet, err := data.LoadMNIST(dir)
	if err != nil {
		return nil, nil, err
	}
	first := func(ds *data.Dataset, k int, shuffle bool) (trainer.Loader, error) {
		idx := make([]int, k)
		for i := range idx {
			idx[i] = i
		}
		l, err := augment.NewLoader(ds.Subset(idx), augment.Config{BatchSize: 64, Seed: 1, Shuffle: shuffle})
		return trainer.Images(l), err
	}
	if train, err = first(trainSet, n, true); err != nil {
		return nil, nil, err
	}
	test, err = first(testSet, m, false)
	return train, test, err
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
