"""The live side: `SummaryWriter` and its event files (Progbar, Speedometer and `run -- CMD` too)."""
