"""Administration of the staff workspace: accounts, departments, categories, routing rules, text templates."""
