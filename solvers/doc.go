// Package solvers holds Descent's optimizers, loss penalties, gradient clipping
// and learning-rate schedules. Option names, defaults and the order of
// operations inside an update follow torch.optim and torch.optim.lr_scheduler
// of PyTorch 1.13, and the package is tested against reference trajectories
// computed with it (testdata/golden/solvers, testdata/golden/schedulers).
//
// # Optimizers
//
// An Optimizer combines an Algorithm (SGD, Adagrad, Adadelta, RMSProp, Adam,
// AdamW: structs holding PyTorch's hyperparameters, with PyTorch's defaults
// from DefaultAdam and the like) with Settings and parameter groups:
//
//	opt, err := solvers.New("adam", map[string]any{"lr": 1e-3, "betas": []float64{0.9, 0.99}})
//	err = opt.AddGroup(weights, nil)
//	err = opt.AddGroup(biases, map[string]any{"lr": 2e-3, "weight_decay": 0})
//	for each batch: forward, backward, then err = opt.Step()
//
// The parameters are *param.Param; Step updates their Value in place from their
// Grad. Each group has its own learning rate, weight decay and regularization.
// State buffers (momentum, moment estimates, accumulators) are allocated when
// a group is added, and the element loops run in the kernels package
// (kernels.SGD, kernels.Adam, ...), split across goroutines with a fixed
// partitioning, so a step gives bit-identical results whatever GOMAXPROCS is.
// Invalid hyperparameters are rejected when the optimizer or group is made,
// with an error naming the option and its value.
//
// Each Step, in order: a gradient holding NaN or ±Inf stops the step before
// anything changes (a *NonFiniteError naming the parameter; Settings.SkipNonFinite
// marks it as skipped rather than failed); each group's Regularization adds its
// gradient; gradients are clipped by value, then by global norm, if enabled;
// then every parameter takes the algorithm's update.
//
// # On a GPU
//
// OnDevice hands an optimizer to a param.Updater (the CUDA backend) as
// a param.UpdatePlan: each algorithm describes its host update, its row of
// hyperparameters and its fused multi-tensor kernel (kernels/optim.cu), and
// the backend, which owns the parameters, gradients and the optimizer's state
// slots on its device in one layout, runs the same sequence there, ending in
// one launch of the fused kernel for every parameter of every group. A step
// allocates nothing and reads back one double; OnDeviceInTraining puts the
// update inside each training run instead (the device asks for the rows
// before the run). State and SetState move the state across. The package
// itself uses no device API. See device.go.
//
// # PyTorch's forms and the textbook ones
//
// Each algorithm's comment gives PyTorch's update and how it relates to the
// form in its paper. In short: PyTorch keeps the learning rate out of momentum
// buffers (SGD, RMSProp with momentum), so the forms agree for a constant rate
// but a schedule's change of rate rescales the whole buffer at once; Adagrad and
// RMSProp add eps outside the square root, where the papers put it inside;
// Adadelta multiplies Zeiler's step by lr (1 by default); Adam is the paper's
// Algorithm 1 with the bias corrections folded into step size and denominator;
// weight_decay is an L2 term added to the gradient everywhere except AdamW,
// whose decay θ *= 1 − lr·weight_decay follows the learning rate.
//
// # Regularization
//
// Regularization adds L1·Σ|w| + ½·L2·Σw² to the loss (lasso, ridge, or both:
// the elastic net), by default over parameters of kind param.Weight only, not
// biases or batch-norm parameters. It is separate from weight_decay: its
// gradient joins the backpropagated one before clipping and before the
// algorithm sees it, and Optimizer.Penalty gives its value, to report as part
// of the loss.
//
// # Schedules
//
// A Schedule (NewStepLR, NewMultiStepLR, NewExponentialLR,
// NewCosineAnnealingLR, NewOneCycleLR, NewLinearLR,
// NewCosineAnnealingWarmRestarts, NewReduceLROnPlateau, NewLinearWarmup, or
// NewSchedule by type name and options) sets the groups' learning rates. Call
// Step once per epoch or once per iteration, after the optimizer's step, as in
// PyTorch; PyTorch's recipes step OneCycleLR, LinearLR warm-ups and warm
// restarts per iteration. OneCycleLR also cycles the optimizer's momentum
// (Optimizer.SetMomentum: SGD's or RMSProp's momentum, Adam's β1), as
// PyTorch's cycle_momentum does.
//
// # Weight averaging
//
// EMA (NewEMA) keeps an exponential moving average of the trainable parameters,
// updated after each optimizer step (with timm's optional warm-up of the
// decay), on the host or, after OnDevice, on the device: the backend keeps the
// average beside the parameters (param.Averager) and updates it in one fused
// launch. Batch norm's running statistics are the model's
// own, not averaged. Swap puts the averages into the model for evaluation or
// export; State and SetState checkpoint it.
//
// # Checkpoints
//
// Optimizer.State and Schedule.State return plain structs (gob or JSON); their
// SetState restores them into an optimizer or schedule built the same way, and
// the run then continues bit-exactly as if it had never stopped.
package solvers
