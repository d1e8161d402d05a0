"""The domain: fravær, offices, services, dates, orgnr, working days, the citizen's message and the
office's plan. No CLI, no store, no clock: today is an argument."""
