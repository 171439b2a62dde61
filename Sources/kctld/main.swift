print("kctld: not yet")
