"""Electronic signature: the portal's seal on the PDFs (PAdES), the proof file, the SMS code."""
