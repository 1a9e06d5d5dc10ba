"""Qt-free data model: experiments, the event protocol, runs, metrics, recordings."""
