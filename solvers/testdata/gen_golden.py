"""Extra PyTorch 1.13 reference cases for the solvers and schedulers (format:
testdata/golden/FORMAT.md), covering options the original cases leave out, and the ReduceLROnPlateau
cases in reduce_lr_on_plateau.json beside this script.

Run from the repository root with Debian's python3-torch:
    /usr/bin/python3 solvers/testdata/gen_golden.py testdata/golden
"""
import json, os, sys, math
import torch
torch.set_default_dtype(torch.float64)
out = sys.argv[1]
os.makedirs(out + "/solvers", exist_ok=True)
os.makedirs(out + "/schedulers", exist_ok=True)
g = torch.Generator().manual_seed(1234)

OPT = {"sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad, "adadelta": torch.optim.Adadelta,
       "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}

def solver_case(name, opt, options, l1=0.0, l2=0.0, schedule=None, n=7, steps=40, zero_at=None):
    a = (torch.rand(n, generator=g) * 2 + 0.5)
    b = torch.randn(n, generator=g)
    c = torch.rand(n, generator=g) * 0.3
    theta0 = torch.randn(n, generator=g)
    if zero_at is not None:
        theta0[zero_at] = 0.0
    th = theta0.clone().requires_grad_(True)
    kw = dict(options)
    if "betas" in kw: kw["betas"] = tuple(kw["betas"])
    o = OPT[opt]([th], **kw)
    sched = None
    if schedule:
        t = schedule["type"]
        if t == "step": sched = torch.optim.lr_scheduler.StepLR(o, step_size=schedule["step_size"], gamma=schedule["gamma"])
        elif t == "exponential": sched = torch.optim.lr_scheduler.ExponentialLR(o, gamma=schedule["gamma"])
        elif t == "cosine": sched = torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=schedule["T_max"], eta_min=schedule.get("eta_min", 0))
        elif t == "multistep": sched = torch.optim.lr_scheduler.MultiStepLR(o, milestones=schedule["milestones"], gamma=schedule["gamma"])
    traj, lrs = [], []
    for k in range(steps):
        o.zero_grad()
        loss = (0.5 * a * th**2 - b * th + 0.25 * c * th**4).sum() + l1 * th.abs().sum() + 0.5 * l2 * (th**2).sum()
        loss.backward()
        lrs.append(o.param_groups[0]["lr"])
        o.step()
        if sched: sched.step()
        traj.append(th.detach().tolist())
    case = dict(kind="solver", name=name, optimizer=opt, options=options, regularization={"l1": l1, "l2": l2},
                schedule=schedule, objective={"a": a.tolist(), "b": b.tolist(), "c": c.tolist()}, shape=[n],
                theta0=theta0.tolist(), steps=steps, lr_per_step=lrs, trajectory=traj, rtol=1e-5, atol=1e-6)
    json.dump(case, open(f"{out}/solvers/{name}.json", "w"))

solver_case("sgd_dampening", "sgd", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3})
solver_case("sgd_nesterov_wd_l2", "sgd", {"lr": 0.03, "momentum": 0.7, "nesterov": True, "weight_decay": 0.05}, l2=0.1)
solver_case("sgd_l1_zero", "sgd", {"lr": 0.05}, l1=0.1, zero_at=2)
solver_case("sgd_cosine", "sgd", {"lr": 0.1, "momentum": 0.9}, schedule={"type": "cosine", "T_max": 15, "eta_min": 0.001})
solver_case("sgd_multistep", "sgd", {"lr": 0.1, "momentum": 0.5}, schedule={"type": "multistep", "milestones": [5, 12, 12, 30], "gamma": 0.5})
solver_case("adagrad_all", "adagrad", {"lr": 0.2, "lr_decay": 0.05, "weight_decay": 0.02, "initial_accumulator_value": 0.3, "eps": 1e-8})
solver_case("adagrad_elastic", "adagrad", {"lr": 0.1}, l1=0.02, l2=0.05)
solver_case("adadelta_all", "adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.03})
solver_case("rmsprop_centered_momentum", "rmsprop", {"lr": 0.005, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.01, "momentum": 0.5, "centered": True})
solver_case("rmsprop_momentum", "rmsprop", {"lr": 0.01, "momentum": 0.9})
solver_case("rmsprop_centered", "rmsprop", {"lr": 0.01, "centered": True}, schedule={"type": "step", "step_size": 7, "gamma": 0.7})
solver_case("adam_amsgrad_wd", "adam", {"lr": 0.05, "betas": [0.8, 0.95], "eps": 1e-6, "weight_decay": 0.05, "amsgrad": True})
solver_case("adam_l1", "adam", {"lr": 0.02}, l1=0.05, schedule={"type": "exponential", "gamma": 0.97})
solver_case("adamw_amsgrad", "adamw", {"lr": 0.05, "betas": [0.85, 0.99], "amsgrad": True, "weight_decay": 0.2})
solver_case("adamw_default", "adamw", {"lr": 0.03}, schedule={"type": "cosine", "T_max": 10})

def sched_case(name, typ, options, base_lr, epochs):
    th = torch.zeros(1, requires_grad=True)
    o = torch.optim.SGD([th], lr=base_lr)
    s = getattr(torch.optim.lr_scheduler, typ)(o, **options)
    lrs = []
    for e in range(epochs):
        lrs.append(o.param_groups[0]["lr"])
        o.step(); s.step()
    json.dump(dict(kind="scheduler", name=name, type=typ, options=options, base_lr=base_lr, epochs=epochs, lrs=lrs, rtol=1e-9, atol=1e-12),
              open(f"{out}/schedulers/{name}.json", "w"))

sched_case("cosine_restart", "CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}, 0.3, 40)
sched_case("cosine_tmax1", "CosineAnnealingLR", {"T_max": 1}, 0.1, 6)
sched_case("multistep_dup", "MultiStepLR", {"milestones": [9, 3, 3, 20], "gamma": 0.3}, 1.0, 25)
sched_case("step_long", "StepLR", {"step_size": 3, "gamma": 0.5}, 0.7, 50)
sched_case("exponential_slow", "ExponentialLR", {"gamma": 0.99}, 0.01, 100)

# ReduceLROnPlateau needs a metric per epoch, which FORMAT.md's scheduler cases
# lack, so its cases go beside this script in a format of their own: per case
# the options, each group's base rate, the metrics passed to step() and every
# group's rate after each step.
import random
random.seed(5)
plateau = []
for opts in [dict(),
             dict(mode="max", factor=0.5, patience=2, threshold=0.01, threshold_mode="abs", cooldown=1, min_lr=0.004),
             dict(patience=0, cooldown=2, factor=0.3, threshold=0.05),
             dict(mode="max", patience=1, threshold_mode="rel", min_lr=[0.02, 0.001], eps=1e-3),
             dict(mode="min", threshold_mode="abs", threshold=0.0, patience=3)]:
    ngroups = len(opts["min_lr"]) if isinstance(opts.get("min_lr"), list) else 1
    base = [0.1 * (i + 1) for i in range(ngroups)]
    ps = [torch.zeros(1, requires_grad=True) for _ in range(ngroups)]
    o = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(ps, base)], lr=0.1)
    s = torch.optim.lr_scheduler.ReduceLROnPlateau(o, **opts)
    metrics = [round(random.uniform(0, 1) + (0.5 if i % 7 < 3 else 0), 3) for i in range(60)]
    metrics[10] = metrics[9]  # an exact tie
    lrs = []
    for m in metrics:
        s.step(m)
        lrs.append([g["lr"] for g in o.param_groups])
    plateau.append(dict(options=opts, base_lrs=base, metrics=metrics, lrs=lrs))
json.dump(plateau, open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "reduce_lr_on_plateau.json"), "w"))
