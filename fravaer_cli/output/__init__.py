"""Output for people and programs: tables, JSON and CSV (formats), and the calendar as text, HTML and iCalendar."""
