"""Qt-free engine: controller, driver, probe, workloads, sampler."""
