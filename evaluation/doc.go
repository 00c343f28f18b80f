// Package evaluation is the report on a trained classifier's test predictions:
// top-1 and top-5 accuracy, per-class precision, recall, F1 and support, and the
// confusion matrix, as a Summary (its JSON is what `eval -json` prints and the
// final metrics record carries as test_top5 and per_class), as confusion.csv and
// as confusion.png (a heat map drawn with gonum.org/v1/plot, class names on both
// axes). It also keeps the most confidently wrong samples and draws them as a
// PNG grid captioned "true → predicted (probability)".
//
// A Report is fed batch by batch (Add) with the model's logits, so an
// evaluation never holds more than one batch of scores. The predicted class is
// the first highest score, as torch.argmax picks it; precision, recall and F1
// follow scikit-learn's classification_report with zero_division=0.
package evaluation
