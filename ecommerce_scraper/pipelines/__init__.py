"""Item pipelines, in the order ITEM_PIPELINES runs them."""
