"""The cluster path: pachlite's specs checked and deployed onto a real Pachyderm."""
