"""The chairman's weekly briefing: a plain record built from the store (`weekly.py`), rendered
for chat (`text.py`), as a Vietnamese administrative report (`docx.py`) and as a workbook
(`xlsx.py`). Charts stay in `bot/charts.py`."""
