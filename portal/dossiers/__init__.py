"""Dossiers after the signature: supporting documents and the files the client sends."""
