#!/usr/bin/python3
"""Reference side of bench/bench_forecast.sh: one-step-ahead test RMSE of
persistence, seasonal naive, Holt-Winters (statsmodels), a PyTorch LSTM and
`rnnkit forecast` on the same points of the same series.

Run it with Debian's /usr/bin/python3 (python3-torch, python3-statsmodels).

The split, the same for every method: the first int(0.67 * n) points are the
training part, the remaining points the test part (the Keras example's
train_size = int(len(dataset) * 0.67)). Every method predicts each test point
y[t] one step ahead from the true history y[0..t-1]; the RMSE is over all the
test points, in the series' own units. (The LSTM's test windows reach back
into the training part for their first look_back inputs: no test point is
dropped.)

Holt-Winters: candidates trend {none, additive, additive damped} x season
{none, additive, multiplicative (series > 0 only)}, each fitted on the
training part (statsmodels ExponentialSmoothing, initialization
"estimated"), the lowest AIC chosen. Its one-step forecasts over the test
part are a FILTER WITH FIXED PARAMETERS: the same model over the whole series
with the smoothing parameters and initial states fixed to the training fit
(optimized=False, initialization "known"), no refit; its fitted values are the
one-step forecasts. The script checks that this filter reproduces the
training fit's own fitted values on the training part. Multiplicative trends
are left out: with fixed parameters statsmodels 0.13 does not reproduce its
own damped multiplicative-trend fits.
"""
import argparse
import csv
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

# name: (file, target column, season, why that season)
SERIES = {
    "airline": ("airline-passengers.csv", "Passengers", 12, "monthly"),
    "car-sales": ("monthly-car-sales.csv", "Sales", 12, "monthly"),
    "sunspots": ("monthly-sunspots.csv", "Sunspots", 132, "monthly, 11-year solar cycle"),
    "min-temp": ("daily-min-temperatures.csv", "Temp", 365, "daily, one year"),
    "births": ("daily-total-female-births.csv", "Births", 7, "daily, one week"),
    "shampoo": ("shampoo.csv", "Sales", 12, "monthly (3 years only)"),
    "sp500": ("sp500.csv", "Close", 5, "trading days, one week"),
    "sine": ("sinewave.csv", "sinewave", 1, "none"),
}
ORDER = ["airline", "car-sales", "sunspots", "min-temp", "births", "shampoo", "sp500", "sine"]
QUICK = ["airline", "car-sales", "sine"]

# The issue's reference figures: persistence, seasonal naive, Holt-Winters.
# Persistence and seasonal naive are reproduced exactly with the split
# int(0.67 n) (n - int(0.33 n) gives e.g. 48.5 for airline) and the seasons
# above: the sunspots' 38.75 needs lag 132 (lag 12 gives 36.52), the S&P's
# 34.27 lag 5. Holt-Winters: additive trend + multiplicative season (the
# second HW column) gives car sales 2,527, S&P 16.29 and sine 0.0028 exactly,
# sunspots 17.93 (additive season 132; 17.97 in the issue); min temperatures
# 2.523 by AIC (2.70 with an additive 365-day season); airline's 23.8 comes
# from no candidate here (one-step 15.7 to 48.4; 17.16 for add/mul).
ISSUE = {
    "airline": (48.0, 41.9, 23.8),
    "car-sales": (3701, 1811, 2527),
    "sunspots": (18.40, 38.75, 17.97),
    "min-temp": (2.624, 3.854, 2.535),
    "sp500": (15.95, 34.27, 16.29),
    "sine": (0.044, None, 0.003),
}

LSTM_DEFAULTS = {"lookback": 12, "hidden": 32, "layers": 1, "lr": 0.01, "batch": 16, "epochs": 200, "seed": 1}
# the names rnnkit's --help may give each LSTM option
HELP_NAMES = {"lookback": ["lookback", "look-back", "look_back", "window"], "hidden": ["hidden"],
              "layers": ["layers"], "lr": ["lr", "learning-rate"], "batch": ["batch", "batch-size"],
              "epochs": ["epochs"], "seed": ["seed"]}
LOG = None


def log(*a):
    s = " ".join(str(x) for x in a)
    if LOG:
        LOG.write(s + "\n")
        LOG.flush()
    print(s, file=sys.stderr, flush=True)


def load(path, col):
    with open(path, newline="") as fh:
        rows = csv.DictReader(fh)
        return np.array([float(r[col]) for r in rows], dtype=np.float64)


def rmse(y, p):
    return math.sqrt(float(np.mean((np.asarray(y) - np.asarray(p)) ** 2)))


def fmt(v):
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    if not math.isfinite(v):
        return "n/a"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.1f}"
    if a >= 10:
        return f"{v:.2f}"
    if a >= 1:
        return f"{v:.3f}"
    if a >= 0.001 or a == 0:
        return f"{v:.4f}"
    return f"{v:.2e}"  # small errors keep their digits (sine: 1.77e-06)


# ---------------------------------------------------------------- Holt-Winters
def holt_winters(y, tr, season):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    pos = bool(np.min(y[:tr]) > 0)
    cands = []
    for trend, damped in ((None, False), ("add", False), ("add", True)):
        for seas in (None, "add", "mul"):
            if seas and season < 2:
                continue
            if seas == "mul" and not pos:
                continue
            if seas and tr < 2 * season:
                continue
            cands.append((trend, damped, seas))
    results = []
    for trend, damped, seas in cands:
        name = f"trend={trend or 'none'}{' damped' if damped else ''} season={seas or 'none'}"
        sp = season if seas else None
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fit = ExponentialSmoothing(y[:tr], trend=trend, damped_trend=damped, seasonal=seas,
                                           seasonal_periods=sp, initialization_method="estimated").fit()
            except Exception as e:  # noqa: BLE001
                log(f"  HW {name}: fit failed: {e}")
                continue
            p = fit.params
            kw = {"smoothing_level": p["smoothing_level"], "optimized": False}
            if trend:
                kw["smoothing_trend"] = p["smoothing_trend"]
            if damped:
                kw["damping_trend"] = p["damping_trend"]
            if seas:
                kw["smoothing_seasonal"] = p["smoothing_seasonal"]
            filt = ExponentialSmoothing(y, trend=trend, damped_trend=damped, seasonal=seas, seasonal_periods=sp,
                                        initialization_method="known", initial_level=p["initial_level"],
                                        initial_trend=p["initial_trend"] if trend else None,
                                        initial_seasonal=p["initial_seasons"] if seas else None).fit(**kw)
        fv = np.asarray(filt.fittedvalues)
        check = float(np.max(np.abs(fv[:tr] - np.asarray(fit.fittedvalues))))
        test = rmse(y[tr:], fv[tr:])
        dt = time.perf_counter() - t0
        results.append((fit.aic, name, test, check))
        log(f"  HW {name:36s} train AIC {fit.aic:12.2f}  test RMSE {fmt(test):>8s}  "
            f"filter-vs-fit max diff {check:.2g}  {dt:.1f} s")
    ok = [r for r in results if r[3] <= 1e-6 * max(1.0, float(np.max(np.abs(y))))]
    if not ok:
        return None, "no candidate", None
    best = min(ok, key=lambda r: r[0])
    log(f"  HW chosen by AIC: {best[1]} -> test RMSE {fmt(best[2])}")
    # The configuration the issue's figures seem to come from (it reproduces
    # car sales, S&P 500 and sine): additive trend, multiplicative season
    # (additive where the series has zeros, none without a season), no AIC.
    fixed = "trend=add season=" + ("none" if season < 2 or tr < 2 * season else "mul" if pos else "add")
    fx = [r for r in ok if r[1] == fixed]
    if fx:
        log(f"  HW fixed {fixed} -> test RMSE {fmt(fx[0][2])}")
    return best[2], best[1], (fx[0][2] if fx else None)


# ---------------------------------------------------------------- PyTorch LSTM
def torch_lstm(y, tr, o):
    import torch

    torch.manual_seed(o.seed)
    np.random.seed(o.seed)
    L = o.lookback
    lo, hi = float(np.min(y[:tr])), float(np.max(y[:tr]))
    span = hi - lo if hi > lo else 1.0
    s = (y - lo) / span  # MinMaxScaler fitted on the training part
    idx_train = np.arange(L, tr)
    idx_test = np.arange(max(tr, L), len(y))

    def windows(idx):
        X = np.stack([s[i - L:i] for i in idx]).astype(np.float32)[:, :, None]
        return torch.from_numpy(X), torch.from_numpy(s[idx].astype(np.float32))

    Xtr, Ytr = windows(idx_train)
    Xte, _ = windows(idx_test)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(1, o.hidden, num_layers=o.layers, batch_first=True)
            self.out = torch.nn.Linear(o.hidden, 1)

        def forward(self, x):
            h, _ = self.lstm(x)
            return self.out(h[:, -1, :]).squeeze(-1)

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=o.lr)
    lossf = torch.nn.MSELoss()
    g = torch.Generator().manual_seed(o.seed)
    n = len(idx_train)
    t0 = time.perf_counter()
    for ep in range(o.epochs):
        perm = torch.randperm(n, generator=g)
        tot = 0.0
        for b in range(0, n, o.batch):
            j = perm[b:b + o.batch]
            opt.zero_grad()
            loss = lossf(net(Xtr[j]), Ytr[j])
            loss.backward()
            opt.step()
            tot += loss.item() * len(j)
        if ep == 0 or (ep + 1) % max(1, o.epochs // 4) == 0:
            log(f"  torch epoch {ep + 1:4d}/{o.epochs}: train MSE (scaled) {tot / n:.6f}")
    train_s = time.perf_counter() - t0
    with torch.no_grad():
        p = net(Xte).numpy().astype(np.float64) * span + lo
        ptr = net(Xtr).numpy().astype(np.float64) * span + lo
    test = rmse(y[idx_test], p)
    log(f"  torch LSTM: {len(idx_train)} train windows, {len(idx_test)} test points, "
        f"train RMSE {fmt(rmse(y[idx_train], ptr))}, test RMSE {fmt(test)}, {train_s:.1f} s")
    return test, train_s


# ---------------------------------------------------------------- rnnkit
def rnnkit_help(binary):
    if not binary or not os.access(binary, os.X_OK):
        return None, f"no executable {binary}"
    try:
        r = subprocess.run([binary, "forecast", "train", "--help"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    text = r.stdout + r.stderr
    if r.returncode != 0 or "forecast" not in text:
        return None, f"`{binary} forecast train --help` failed (exit {r.returncode}): no forecast command in this build"
    return text, "ok"


def defaults_from_help(text):
    """Best effort: `--NAME ... default N` on one help line."""
    found = {}
    for line in text.splitlines():
        for key, alts in HELP_NAMES.items():
            for a in alts:
                if re.search(rf"--{re.escape(a)}\b", line):
                    m = re.search(r"default[:= ]*\(?\s*([0-9][0-9.eE+-]*)", line, re.I)
                    if m and key not in found:
                        try:
                            found[key] = float(m.group(1))
                        except ValueError:
                            pass
    return found


def run_rnnkit(binary, helptext, path, col, season, o, passed, ours):
    with tempfile.TemporaryDirectory() as d:
        db = os.path.join(d, "m.db")
        cmd = [binary, "forecast", "train", "--csv", path, "--target", col, "-o", db, "--quiet"]
        # rnnkit runs with its defaults (--season auto, --difference auto): the
        # season printed in the table is the baselines' only
        # options set here (command line, --quick) go to rnnkit too, under the name its --help uses
        for key in passed:
            for a in HELP_NAMES[key]:
                if re.search(rf"--{re.escape(a)}\b", helptext):
                    cmd += [f"--{a}", str(getattr(o, key))]
                    break
            else:
                log(f"  note: rnnkit forecast train --help has no --{key}: rnnkit keeps its default")
        log("  $ " + " ".join(cmd))
        t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True)
        dt = time.perf_counter() - t0
        if r.returncode != 0:
            log(f"  rnnkit train failed (exit {r.returncode}): {r.stderr.strip()[:500]}")
            return None, None
        cmd = [binary, "forecast", "eval", "-m", db, "--csv", path, "--json"]
        log("  $ " + " ".join(cmd))
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            log(f"  rnnkit eval failed (exit {r.returncode}): {r.stderr.strip()[:500]}")
            return None, dt
        try:
            j = json.loads(r.stdout)
        except json.JSONDecodeError as e:
            log(f"  rnnkit eval: not JSON ({e}): {r.stdout[:300]}")
            return None, dt
        log("  rnnkit eval: " + json.dumps(j))
        test = j.get("test", {}).get("rmse")
        for b in ("persistence", "seasonal_naive"):
            v = j.get("baselines", {}).get(b, {}).get("test", {}).get("rmse")
            if v is not None:
                mine = ours.get(b)
                same = "" if mine is None else (
                    " (same as here)" if abs(v - mine) <= 0.005 * abs(mine) + 1e-12 else
                    f" (DIFFERS from {fmt(mine)} here: another split, test points or season)")
                log(f"  rnnkit's own {b} test RMSE: {fmt(v)}{same}")
        log(f"  rnnkit: test RMSE {fmt(test)}, training {dt:.1f} s")
        return test, dt


# ---------------------------------------------------------------- machine facts
def machine_facts(o):
    model = platform.processor() or "?"
    fam = mod = None
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                k, _, v = line.partition(":")
                k, v = k.strip(), v.strip()
                if k == "model name":
                    model = v
                elif k == "cpu family" and fam is None:
                    fam = v
                elif k == "model" and mod is None:
                    mod = v
    except OSError:
        pass
    import torch
    import statsmodels
    import scipy
    facts = [
        f"CPU: {model} (family {fam}, model {mod}), {os.cpu_count()} logical cores",
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '(unset)')}, "
        f"torch intra-op threads {torch.get_num_threads()}, inter-op {torch.get_num_interop_threads()}",
        f"Python {platform.python_version()}, torch {torch.__version__}, statsmodels {statsmodels.__version__}, "
        f"scipy {scipy.__version__}, numpy {np.__version__}",
    ]
    return facts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=None, help="data directory (holds series/); default ../shared/data from the repo root")
    ap.add_argument("--rnnkit", default="build/rnnkit", help="rnnkit binary (default build/rnnkit)")
    ap.add_argument("--series", default=None, help="comma-separated subset of: " + ",".join(ORDER))
    ap.add_argument("--quick", action="store_true", help="airline, car sales, sine; --quick-epochs epochs")
    ap.add_argument("--quick-epochs", type=int, default=30)
    ap.add_argument("--train-frac", type=float, default=0.67)
    for k, v in LSTM_DEFAULTS.items():
        ap.add_argument(f"--{k}", type=type(v), default=None, help=f"PyTorch LSTM {k} (default: rnnkit's, else {v})")
    ap.add_argument("--torch-threads", type=int, default=1)
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--no-hw", action="store_true")
    ap.add_argument("--log", default=None, help="also write the whole log here")
    o = ap.parse_args()

    global LOG
    if o.log:
        LOG = open(o.log, "a")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    data = os.path.normpath(o.data or os.path.join(root, "..", "shared", "data"))
    sdir = os.path.join(data, "series") if os.path.isdir(os.path.join(data, "series")) else data

    import torch
    torch.set_num_threads(o.torch_threads)

    helptext, why = rnnkit_help(o.rnnkit)
    source = {}
    hd = defaults_from_help(helptext) if helptext else {}
    for k, v in LSTM_DEFAULTS.items():
        if getattr(o, k) is not None:
            source[k] = "command line"
        elif k in hd:
            setattr(o, k, type(v)(hd[k]))
            source[k] = "rnnkit forecast train --help"
        else:
            setattr(o, k, v)
            source[k] = "assumed"
    if o.quick and source["epochs"] != "command line":
        o.epochs = o.quick_epochs
        source["epochs"] = "--quick"

    names = o.series.split(",") if o.series else (QUICK if o.quick else ORDER)
    for n in names:
        if n not in SERIES:
            ap.error(f"unknown series {n}")

    head = ["# rnnkit forecast benchmark" + (" (--quick)" if o.quick else ""), "",
            f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Data: {os.path.abspath(sdir)}."]
    head += [f"- {f}" for f in machine_facts(o)]
    head.append(f"- rnnkit: {o.rnnkit}: " + ("forecast command present" if helptext else why))
    head.append("- LSTM (PyTorch and the shape assumed for rnnkit): " + ", ".join(
        f"{k} {getattr(o, k)} ({source[k]})" for k in LSTM_DEFAULTS) +
        "; MinMax scaling fitted on the training part, no differencing, MSE, Adam, last hidden state -> Dense(1)")
    head.append(f"- Split: first int({o.train_frac} n) points train, the rest test; every figure is the test RMSE "
                "one step ahead from the true history, in the series' units, over the same test points.")
    head.append("")
    for line in head:
        print(line)
        if LOG:
            LOG.write(line + "\n")

    rows = []
    t_all = time.perf_counter()
    for name in names:
        f, col, season, why_s = SERIES[name]
        path = os.path.join(sdir, f)
        y = load(path, col)
        n = len(y)
        tr = int(n * o.train_frac)
        t = np.arange(tr, n)
        log(f"\n## {name}: {f}, column {col}, {n} points, train {tr}, test {n - tr}, season {season} ({why_s})")
        pers = rmse(y[t], y[t - 1])
        snaive = rmse(y[t], y[t - season]) if season > 1 else None
        log(f"  persistence {fmt(pers)}, seasonal naive {fmt(snaive)}")
        hw = hwname = hwfix = None
        if not o.no_hw:
            t0 = time.perf_counter()
            hw, hwname, hwfix = holt_winters(y, tr, season)
            log(f"  Holt-Winters: {time.perf_counter() - t0:.1f} s for all candidates")
        tl = tt = None
        if not o.no_torch:
            tl, tt = torch_lstm(y, tr, o)
        rk = rt = None
        if helptext:
            rk, rt = run_rnnkit(o.rnnkit, helptext, path, col, season, o,
                                [k for k in LSTM_DEFAULTS if source[k] in ("command line", "--quick")],
                                {"persistence": pers, "seasonal_naive": snaive})
        rows.append((name, col, n, tr, season, pers, snaive, hw, hwname, hwfix, tl, tt, rk, rt))

    out = ["", "| series (target) | points (train/test) | season | persistence | seasonal naive | Holt-Winters "
           "(AIC choice) [1] | HW t:add, s:mul [2] | PyTorch LSTM | rnnkit | PyTorch train time | rnnkit train time | issue's figures (pers. / s.naive / HW) |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, col, n, tr, season, pers, sn, hw, hwname, hwfix, tl, tt, rk, rt in rows:
        iss = ISSUE.get(name)
        iss_s = " / ".join("-" if v is None else fmt(float(v)) for v in iss) if iss else ""
        hwcell = f"{fmt(hw)} ({hwname.replace('trend=', 't:').replace(' season=', ', s:')})" if hw is not None else "n/a"
        out.append(f"| {name} ({col}) | {n} ({tr}/{n - tr}) | {season if season > 1 else '-'} | {fmt(pers)} | "
                   f"{fmt(sn) if sn is not None else '-'} | {hwcell} | {fmt(hwfix)} | {fmt(tl)} | {fmt(rk)} | "
                   f"{f'{tt:.1f} s' if tt is not None else 'n/a'} | {f'{rt:.1f} s' if rt is not None else 'n/a'} | {iss_s} |")
    out.append("")
    out.append("[1] Holt-Winters candidates fitted on the training part, the lowest AIC kept (t: trend, s: season); "
               "test forecasts by the fixed-parameter filter (no refit); every candidate in the log.")
    out.append("[2] The same filter for one fixed configuration, no AIC: additive trend, multiplicative season "
               "(additive when the series has zeros; none without a season).")
    out.append("")
    out.append(f"Whole run: {time.perf_counter() - t_all:.0f} s.")
    for line in out:
        print(line)
        if LOG:
            LOG.write(line + "\n")


if __name__ == "__main__":
    main()
