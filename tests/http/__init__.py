"""HTTP tests: the whole app in process, through aiohttp's test client."""
