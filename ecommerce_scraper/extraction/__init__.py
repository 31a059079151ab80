"""Reading product fields off pages: structured data, SEO tags, CSS selectors, heuristics."""
