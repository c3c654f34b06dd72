"""PDFs of the portal: rendered from pdf_templates/ with WeasyPrint, product documents cached."""
