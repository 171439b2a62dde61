import KctlDemo
print("kctl-demo: placeholder")
