"""Recorded provider exchanges (JSON) and what the payment tests share: a loopback server that
answers from the recordings, and orders and payments built directly as rows."""
