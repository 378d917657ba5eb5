import numpy as np

from steps.evaluation.metrics import confusion, scores


def test_perfect_and_known_scores() -> None:
    labels = np.array([[0, 0, 1, 2]])
    assert scores(confusion(labels, labels))["mean_iou"] == 1.0
    predicted = np.array([[0, 1, 1, 2]])
    matrix = confusion(labels, predicted)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]
    result = scores(matrix)
    assert result["pixel_accuracy"] == 0.75
    assert result["iou"] == {"pet": 0.5, "background": 0.5, "border": 1.0}
    assert abs(result["dice"]["pet"] - 2 / 3) < 1e-9
