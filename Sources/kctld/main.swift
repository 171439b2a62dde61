print("kctld")
