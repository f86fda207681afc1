# A program that is stuck: the main thread waits on an event nobody sets, a second
# thread sleeps.  No CPU samples: only reading its memory shows where it is.
import threading
import time


def wait_forever(event):
    event.wait()


def sleeper():
    time.sleep(3600)


def main():
    event = threading.Event()
    threading.Thread(target=sleeper, daemon=True).start()
    print("ready", flush=True)
    wait_forever(event)


if __name__ == "__main__":
    main()
