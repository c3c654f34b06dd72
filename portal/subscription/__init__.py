"""The customer's pages, reached from the link of the quote e-mail."""
