print("kctl")
