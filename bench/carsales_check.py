#!/usr/bin/python3
"""bench/carsales_check.py: what beats seasonal naive on monthly car sales?

Issue #17 asks rnnkit's forecaster to beat seasonal naive (y[t-12]) on the
last 33 % of ../shared/data/series/monthly-car-sales.csv (108 months, test
the last 36). This script fits other methods on the training part only and
prints their test RMSE, one step ahead from the true history, on the same
points as bench/bench_forecast.sh (the split int(0.67 n)):

- seasonal naive plus the mean of the last k seasonal differences;
- ridge regression of the next seasonal difference on the last L ones;
- statsmodels' SARIMAX, several orders, fitted on the training part, then
  filtered over the whole series with those parameters (no refit);
- two hand-made averages that use the previous two years and fit nothing
  (shown because they are the only rows below seasonal naive; choosing
  them by this table would be choosing on the test set).

Run with Debian's Python (python3-statsmodels): /usr/bin/python3
bench/carsales_check.py [CSV]
"""
import csv
import sys
import warnings

import numpy as np
from statsmodels.tsa.statespace.sarimax import SARIMAX

warnings.filterwarnings("ignore")
path = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/series/monthly-car-sales.csv"
with open(path, newline="") as f:
    y = np.array([float(r["Sales"]) for r in csv.DictReader(f)])
n = len(y)
nt = int(0.67 * n)
idx = np.arange(nt, n)
truth = y[idx]


def rmse(pred):
    return float(np.sqrt(np.mean((np.asarray(pred) - truth) ** 2)))


print(f"{path}: {n} months, train {nt}, test {n - nt}")
print(f"{'seasonal naive y[t-12]':58s} {rmse(y[idx - 12]):8.1f}")
print(f"{'persistence y[t-1]':58s} {rmse(y[idx - 1]):8.1f}")
d = np.full(n, np.nan)
d[12:] = y[12:] - y[:-12]
for k in (1, 3, 6, 12, 24):
    p = [y[t - 12] + np.mean(d[t - k:t]) for t in idx]
    print(f"{'seasonal naive + mean of the last %d seasonal differences' % k:58s} {rmse(p):8.1f}")
for lags in (1, 3, 6, 12):
    for lam in (0.0, 1e7, 1e8):
        rows = [np.r_[1.0, d[t - lags:t]] for t in range(12 + lags, nt)]
        X, T = np.array(rows), np.array([d[t] for t in range(12 + lags, nt)])
        w = np.linalg.solve(X.T @ X + lam * np.diag(np.r_[0.0, np.ones(lags)]), X.T @ T)
        p = [y[t - 12] + np.r_[1.0, d[t - lags:t]] @ w for t in idx]
        print(f"{'ridge on the last %d seasonal differences, lambda %g' % (lags, lam):58s} {rmse(p):8.1f}")
for order, sorder in (((0, 1, 1), (0, 1, 1, 12)), ((0, 0, 0), (0, 1, 1, 12)), ((1, 0, 0), (0, 1, 1, 12)),
                      ((2, 0, 0), (0, 1, 1, 12)), ((1, 0, 0), (1, 1, 0, 12))):
    fit = SARIMAX(y[:nt], order=order, seasonal_order=sorder).fit(disp=False)
    p = SARIMAX(y, order=order, seasonal_order=sorder).filter(fit.params).predict()[idx]
    print(f"{'SARIMA %s x %s' % (order, sorder):58s} {rmse(p):8.1f}")
print(f"{'(no fit) mean of y[t-12] and y[t-24]':58s} {rmse((y[idx - 12] + y[idx - 24]) / 2):8.1f}")
drift = np.array([(np.mean(y[t - 12:t]) - np.mean(y[t - 24:t - 12])) / 2 for t in idx])
print(f"{'(no fit) that mean + half the last year-on-year change':58s} {rmse((y[idx - 12] + y[idx - 24]) / 2 + drift):8.1f}")
