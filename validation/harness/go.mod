module simpool/validation/harness

// Standard library only: no requirements, nothing to download.
go 1.19
