/** jsdom lacks DragEvent, which @lumino/dragdrop (imported by @lumino/widgets) extends. */
if (typeof window !== 'undefined' && typeof window.DragEvent === 'undefined') {
  window.DragEvent = class DragEvent extends window.MouseEvent {};
  global.DragEvent = window.DragEvent;
}
