"""`lossboard serve`: the live web dashboard over an index (needs ``pip install 'lossboard[server]'``).

`app` is the ASGI app (the route table), `api` what its JSON routes answer, `smoothing` the
curves smoothed over every stored point, `live` the changes the Server-Sent Events feed pushes
and `feed` the one poller behind it, `security` the token guard and response headers,
`stores` a store connection per thread, `launch` the command's server and background indexer,
and ``static/`` the page, built from ``frontend/`` and committed so that pip needs no Node.
"""
