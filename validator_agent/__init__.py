"""Edge validator agent: runtime loop, durable journal, bundle cache and sync client."""
