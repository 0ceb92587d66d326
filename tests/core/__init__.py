"""Tests of the shared core: the periodic-job registry behind `dangjian tick`."""
