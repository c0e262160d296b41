"""Digital Volunteers core: the mentorship domain, free of web and workflow frameworks."""
