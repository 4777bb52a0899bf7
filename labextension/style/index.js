import './base.css';
import './sidebar.css';
import './manage.css';
