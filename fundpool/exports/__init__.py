"""Files people download and open in a spreadsheet: safe cells, streamed CSV and XLSX.

Nothing here knows Flask or what is being exported; callers give a header and
an iterator of rows and get bytes back, a chunk at a time.
"""
