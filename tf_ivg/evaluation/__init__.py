"""Evaluation: metrics, figures, reports and the experiments of both papers (`tf_ivg.evaluation.experiments`)."""
