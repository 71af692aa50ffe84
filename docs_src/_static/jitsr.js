// A figure opens at full size when clicked: a phone shows it scaled down to the width of the screen.
document.addEventListener('DOMContentLoaded', () => {
  document.querySelectorAll('article img').forEach(img => {
    if (img.closest('a')) return;
    const a = document.createElement('a');
    a.href = img.getAttribute('src'); a.title = 'Open the figure at full size';
    img.replaceWith(a); a.appendChild(img);
  });
});
