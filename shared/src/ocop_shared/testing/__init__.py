"""Test support: the pytest plugin (`ocop`) and the servers a test session runs against."""
