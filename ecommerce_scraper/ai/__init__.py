"""Structured yarn attributes from product text: shop-stated tables, rules, and an LLM."""
