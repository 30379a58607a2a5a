"""Tests of the reports package: diagrams, Allure steps and results, failure text, S-5."""
