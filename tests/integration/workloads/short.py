# Lives about 200 ms, all of it in short_burst().
import time


def short_burst(seconds):
    end = time.process_time() + seconds
    x = 0
    while time.process_time() < end:
        x += 1
    return x


short_burst(0.2)
