"""`lossboard serve`: the live web dashboard over an index (needs ``pip install 'lossboard[server]'``).

`app` is the ASGI app (route table), `api` what its JSON routes answer, `live` the changes its
Server-Sent Events feed pushes, `launch` the command's server and background indexer, and
``static/`` the page, built from ``frontend/`` and committed so that pip needs no Node.
"""
