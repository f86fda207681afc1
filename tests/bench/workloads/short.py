# A process of about 50 ms of CPU, for the churn benchmark.
import time

end = time.process_time() + 0.05
x = 0
while time.process_time() < end:
    x += 1
