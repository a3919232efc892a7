"""Towns (Open311 jurisdictions), their areas, departments, categories and routing rules."""
