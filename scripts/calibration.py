"""How well a confidence tells right from wrong: ROC AUC and a reliability table (for eval_*.py)."""


def roc_auc(confidences, correct):
    """The probability that a right answer's confidence exceeds a wrong one's (ties count half):
    the area under the ROC curve; None when every answer is right or every one wrong."""
    right = [c for c, ok in zip(confidences, correct) if ok]
    wrong = [c for c, ok in zip(confidences, correct) if not ok]
    if not right or not wrong:
        return None
    wins = 0.0
    for r in right:
        for w in wrong:
            wins += 1.0 if r > w else 0.5 if r == w else 0.0
    return wins / (len(right) * len(wrong))


def reliability_rows(confidences, correct, bins=10):
    """(low, high, files, mean confidence, observed accuracy) per confidence decile [k/10, (k+1)/10)."""
    rows = []
    for k in range(bins):
        low, high = k / bins, (k + 1) / bins
        inside = [(c, ok) for c, ok in zip(confidences, correct)
                  if low <= c < high or (k == bins - 1 and c == 1.0)]
        if inside:
            rows.append((low, high, len(inside), sum(c for c, _ in inside) / len(inside),
                         sum(ok for _, ok in inside) / len(inside)))
    return rows


def expected_calibration_error(confidences, correct, bins=10):
    n = len(confidences)
    return sum(files * abs(mean - observed) for _, _, files, mean, observed
               in reliability_rows(confidences, correct, bins)) / n if n else float("nan")


def print_calibration(name, confidences, correct):
    """Prints the AUC, the expected calibration error and the reliability table."""
    auc = roc_auc(confidences, correct)
    n = len(confidences)
    print(f"{name} confidence: files {n}  right {sum(correct)}  ROC AUC "
          f"{'–' if auc is None else f'{auc:.3f}'}  calibration error (ECE) "
          f"{expected_calibration_error(confidences, correct):.3f}  mean confidence "
          f"{sum(confidences) / n if n else float('nan'):.3f}  accuracy {sum(correct) / n if n else float('nan'):.3f}")
    print("  confidence     files  mean conf.  observed")
    for low, high, files, mean, observed in reliability_rows(confidences, correct):
        print(f"  {low:.1f}–{high:.1f}  {files:10d}  {mean:10.3f}  {observed:8.3f}")
